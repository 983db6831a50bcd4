# Managed by Infradesk — request #115: https://infradesk.example.com/requests/115

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "<<EOT\nrm -rf /\nEOT\n"
  labels = {
    "<<EOT\nrm -rf /\nEOT\n" = "<<EOT\nrm -rf /\nEOT\n"
    plain                    = "x"
  }
}
