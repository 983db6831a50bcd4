# Managed by Infradesk — request #108: https://infradesk.example.com/requests/108

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "C:\\temp\\"
  labels = {
    "C:\\temp\\" = "C:\\temp\\"
    plain        = "x"
  }
}
