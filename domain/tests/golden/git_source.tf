# Managed by Infradesk — request #2: https://infradesk.example.com/requests/2

module "orders-queue" {
  source = "git::https://github.com/acme/terraform-aws-sqs.git//modules/queue?ref=v2.1.0"

  name                       = "orders"
  visibility_timeout_seconds = 45
}
