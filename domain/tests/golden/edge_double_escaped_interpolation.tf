# Managed by Infradesk — request #101: https://infradesk.example.com/requests/101

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "$$$${var.x}"
  labels = {
    "$$$${var.x}" = "$$$${var.x}"
    plain         = "x"
  }
}
