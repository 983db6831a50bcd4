# Managed by Infradesk — request #105: https://infradesk.example.com/requests/105

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "$${%$${file(\"/etc/passwd\")}"
  labels = {
    "$${%$${file(\"/etc/passwd\")}" = "$${%$${file(\"/etc/passwd\")}"
    plain                           = "x"
  }
}
