# Managed by Infradesk — request #5: https://infradesk.example.com/requests/5

module "reports" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  bucket = "acme-reports"
  tags = {
    CostCenter          = "cc-1234"
    Owner               = "alice"
    "infradesk:request" = "5"
    requester           = "bob"
    team                = "payments"
  }
}
