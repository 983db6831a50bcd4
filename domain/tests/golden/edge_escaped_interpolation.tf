# Managed by Infradesk — request #100: https://infradesk.example.com/requests/100

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "literal $$${not_a_reference}"
  labels = {
    "literal $$${not_a_reference}" = "literal $$${not_a_reference}"
    plain                          = "x"
  }
}
