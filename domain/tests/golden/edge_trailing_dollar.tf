# Managed by Infradesk — request #106: https://infradesk.example.com/requests/106

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "price in $"
  labels = {
    "price in $" = "price in $"
    plain        = "x"
  }
}
