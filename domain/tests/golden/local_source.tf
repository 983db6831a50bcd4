# Managed by Infradesk — request #3: https://infradesk.example.com/requests/3

module "no-inputs" {
  source = "./modules/sns-topic"
}
