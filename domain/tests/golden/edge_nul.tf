# Managed by Infradesk — request #112: https://infradesk.example.com/requests/112

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "before\u0000after"
  labels = {
    "before\u0000after" = "before\u0000after"
    plain               = "x"
  }
}
