# Managed by Infradesk — request #103: https://infradesk.example.com/requests/103

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "$${var.secret}"
  labels = {
    "$${var.secret}" = "$${var.secret}"
    plain            = "x"
  }
}
