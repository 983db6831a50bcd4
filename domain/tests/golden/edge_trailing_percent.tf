# Managed by Infradesk — request #107: https://infradesk.example.com/requests/107

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "100%"
  labels = {
    "100%" = "100%"
    plain  = "x"
  }
}
