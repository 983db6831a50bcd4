# Managed by Infradesk — request #102: https://infradesk.example.com/requests/102

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "%%%{ if true }"
  labels = {
    "%%%{ if true }" = "%%%{ if true }"
    plain            = "x"
  }
}
