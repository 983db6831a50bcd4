# Managed by Infradesk — request #109: https://infradesk.example.com/requests/109

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "line one\r\nline two\r\n"
  labels = {
    "line one\r\nline two\r\n" = "line one\r\nline two\r\n"
    plain                      = "x"
  }
}
