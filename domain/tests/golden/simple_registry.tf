# Managed by Infradesk — request #1: https://infradesk.example.com/requests/1

module "assets" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  bucket           = "acme-assets-prod"
  force_destroy    = false
  object_lock_days = 30
  acl              = null
}
