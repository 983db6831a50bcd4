# acme/rds-postgresql/aws — inputs of the PostgreSQL module maintained by the DBA team.

variable "identifier" {
  description = "Name of the DB instance; also used for its parameter group and alarms."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,62}$", var.identifier))
    error_message = "The identifier must start with a letter and contain only lowercase letters, digits and hyphens (at most 63 characters)."
  }
}

variable "engine_version" {
  description = "PostgreSQL major.minor version."
  type        = string
  default     = "16.4"

  validation {
    condition     = can(regex("^1[4-7]\\.[0-9]+$", var.engine_version))
    error_message = "Supported versions are PostgreSQL 14 to 17, written as major.minor (e.g. 16.4)."
  }
}

variable "instance_class" {
  description = "Instance class, e.g. db.t4g.small. Graviton (g) classes are preferred."
  type        = string

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "The instance class must start with \"db.\"."
  }
}

variable "allocated_storage" {
  description = "Initial storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536
    error_message = "Allocated storage must be between 20 and 65536 GiB."
  }
}

variable "max_allocated_storage" {
  description = "Upper limit for storage autoscaling in GiB; 0 disables autoscaling."
  type        = number
  default     = 0
}

variable "storage_type" {
  description = "EBS volume type backing the instance."
  type        = string
  default     = "gp3"

  validation {
    condition     = contains(["gp2", "gp3", "io1", "io2"], var.storage_type)
    error_message = "The storage type must be one of gp2, gp3, io1 or io2."
  }
}

variable "iops" {
  description = "Provisioned IOPS; only for io1/io2 or gp3 above 400 GiB."
  type        = number
  default     = null
}

variable "multi_az" {
  description = "Run a synchronous standby in another availability zone."
  type        = bool
  default     = false
}

variable "database_name" {
  description = "Name of the database created inside the instance."
  type        = string
  default     = "app"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "The database name must start with a letter and contain only lowercase letters, digits and underscores."
  }
}

variable "master_username" {
  description = "Name of the administrator account."
  type        = string
  default     = "app_admin"

  validation {
    condition     = length(var.master_username) <= 16
    error_message = "The master username can be at most 16 characters long."
  }
}

variable "master_password" {
  description = <<-EOT
    Administrator password. Leave null: the module then reads the password from
    `master_password_ssm_parameter`, or lets RDS manage it in Secrets Manager.
  EOT
  type        = string
  default     = null
  sensitive   = true
}

variable "master_password_ssm_parameter" {
  description = "Name of an SSM SecureString parameter that holds the administrator password (e.g. /orders/prod/db-password). Null lets RDS manage the password in Secrets Manager."
  type        = string
  default     = null

  validation {
    condition     = var.master_password_ssm_parameter == null || can(regex("^/[A-Za-z0-9_./-]+$", var.master_password_ssm_parameter))
    error_message = "The parameter name must be a path such as /team/env/name."
  }
}

variable "backup_retention_period" {
  description = "Days automated backups are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_period >= 0 && var.backup_retention_period <= 35
    error_message = "Backup retention must be between 0 and 35 days."
  }
}

variable "backup_window" {
  description = "Daily UTC window for automated backups (hh24:mi-hh24:mi)."
  type        = string
  default     = "02:00-03:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "The backup window must look like 02:00-03:00."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi)."
  type        = string
  default     = "sun:04:00-sun:05:00"
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete without taking a final snapshot."
  type        = bool
  default     = false
}

variable "performance_insights" {
  description = "Performance Insights settings."
  type = object({
    enabled          = optional(bool, true)
    retention_period = optional(number, 7)
    kms_key_arn      = optional(string)
  })
  default = {}

  validation {
    condition     = contains([7, 731], var.performance_insights.retention_period)
    error_message = "Performance Insights retention must be 7 (free tier) or 731 days."
  }
}

variable "parameters" {
  description = "Extra parameters for the DB parameter group."
  type = list(object({
    name         = string
    value        = string
    apply_method = optional(string, "pending-reboot")
  }))
  default = []

  validation {
    condition     = alltrue([for p in var.parameters : contains(["immediate", "pending-reboot"], p.apply_method)])
    error_message = "apply_method must be immediate or pending-reboot."
  }
}

variable "subnet_group_name" {
  description = "DB subnet group the instance is placed in (one per VPC, created by the network stack)."
  type        = string
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect on the PostgreSQL port."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for id in var.allowed_security_group_ids : startswith(id, "sg-")])
    error_message = "Security group ids start with sg-."
  }
}

variable "monitoring_interval" {
  description = "Seconds between Enhanced Monitoring samples; 0 disables it."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "The monitoring interval must be one of 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}
