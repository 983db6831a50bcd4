# Managed by Infradesk — request #111: https://infradesk.example.com/requests/111

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "admin\u202etxt.exe"
  labels = {
    "admin\u202etxt.exe" = "admin\u202etxt.exe"
    plain                = "x"
  }
}
