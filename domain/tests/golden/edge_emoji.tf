# Managed by Infradesk — request #113: https://infradesk.example.com/requests/113

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "ship it 🚀 👩\u200d💻 🇯🇵"
  labels = {
    "ship it \U0001f680 \U0001f469\u200d\U0001f4bb \U0001f1ef\U0001f1f5" = "ship it 🚀 👩\u200d💻 🇯🇵"
    plain                                                                = "x"
  }
}
