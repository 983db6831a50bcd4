# Managed by Infradesk — request #4: https://infradesk.example.com/requests/4

module "orders-db" {
  source  = "terraform-aws-modules/rds/aws"
  version = "~> 6.10"

  identifier            = "orders-db"
  allocated_storage     = 20
  max_allocated_storage = 100
  backup_window         = "03:00-06:00"
  cpu_credits_ratio     = 1.5
  min_offset            = -5
  multi_az              = true
  parameters = [
    {
      name  = "log_connections"
      value = "1"
    },
    {
      name         = "work_mem"
      value        = "64MB"
      apply_method = "pending-reboot"
    }
  ]
  subnet_ids = [
    "subnet-0a1",
    "subnet-0b2"
  ]
  empty_list = []
  empty_map  = {}
  labels = {
    "kubernetes.io/role/elb" = "1"
    "with space"             = "x"
    "true"                   = true
    "1st"                    = 1
    "Gr\u00f6\u00dfe"        = "groß"
    a = [
      [
        1,
        2.5e-7
      ],
      []
    ]
  }
  monitoring = {
    enabled  = true
    interval = 60
    alarms = {
      cpu = {
        threshold = 80
        periods   = 3
      }
    }
  }
}
