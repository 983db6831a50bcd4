# Managed by Infradesk — request #114: https://infradesk.example.com/requests/114

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "\"quoted\" and 'single' \"\"\" }\n} resource \"x\" \"y\" {"
  labels = {
    "\"quoted\" and 'single' \"\"\" }\n} resource \"x\" \"y\" {" = "\"quoted\" and 'single' \"\"\" }\n} resource \"x\" \"y\" {"
    plain                                                        = "x"
  }
}
