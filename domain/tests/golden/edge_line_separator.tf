# Managed by Infradesk — request #110: https://infradesk.example.com/requests/110

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "a\u2028b\u2029c"
  labels = {
    "a\u2028b\u2029c" = "a\u2028b\u2029c"
    plain             = "x"
  }
}
