# Managed by Infradesk — request #104: https://infradesk.example.com/requests/104

module "edge" {
  source  = "terraform-aws-modules/s3-bucket/aws"
  version = "4.1.2"

  value = "%%{ for x in [1] }$${x}%%{ endfor }"
  labels = {
    "%%{ for x in [1] }$${x}%%{ endfor }" = "%%{ for x in [1] }$${x}%%{ endfor }"
    plain                                 = "x"
  }
}
