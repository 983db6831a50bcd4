# acme/elasticache-redis/aws — a Redis (Valkey-compatible) replication group.

variable "replication_group_id" {
  description = "Name of the replication group."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,39}$", var.replication_group_id))
    error_message = "The id is 1 to 40 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "description" {
  description = "What the cache is for."
  type        = string
  default     = "Managed by Infradesk"
}

variable "engine_version" {
  description = "Redis engine version."
  type        = string
  default     = "7.1"

  validation {
    condition     = contains(["6.2", "7.0", "7.1"], var.engine_version)
    error_message = "Supported engine versions are 6.2, 7.0 and 7.1."
  }
}

variable "node_type" {
  description = "Cache node type, e.g. cache.t4g.small."
  type        = string

  validation {
    condition     = startswith(var.node_type, "cache.")
    error_message = "Node types start with \"cache.\"."
  }
}

variable "num_cache_clusters" {
  description = "Number of nodes: one primary plus replicas."
  type        = number
  default     = 2

  validation {
    condition     = var.num_cache_clusters >= 1 && var.num_cache_clusters <= 6
    error_message = "Between 1 and 6 nodes."
  }
}

variable "automatic_failover_enabled" {
  description = "Promote a replica automatically when the primary fails (needs 2+ nodes)."
  type        = bool
  default     = true
}

variable "multi_az_enabled" {
  description = "Spread nodes over availability zones."
  type        = bool
  default     = true
}

variable "port" {
  description = "Port clients connect to."
  type        = number
  default     = 6379
}

variable "parameters" {
  description = "Parameter group overrides."
  type = list(object({
    name  = string
    value = string
  }))
  default = []
}

variable "transit_encryption_enabled" {
  description = "TLS between clients and the cache."
  type        = bool
  default     = true
}

variable "auth_token" {
  description = "Password for Redis AUTH; null uses IAM authentication."
  type        = string
  default     = null
  sensitive   = true

  validation {
    condition     = var.auth_token == null || (length(coalesce(var.auth_token, "")) >= 16 && length(coalesce(var.auth_token, "")) <= 128)
    error_message = "The auth token must be 16 to 128 characters."
  }
}

variable "at_rest_encryption_enabled" {
  description = "Encrypt data on disk."
  type        = bool
  default     = true
}

variable "kms_key_arn" {
  description = "KMS key for encryption at rest; null uses the AWS managed key."
  type        = string
  default     = null
}

variable "snapshot_retention_limit" {
  description = "Days automatic snapshots are kept; 0 disables snapshots."
  type        = number
  default     = 1

  validation {
    condition     = var.snapshot_retention_limit >= 0 && var.snapshot_retention_limit <= 35
    error_message = "Snapshot retention must be between 0 and 35 days."
  }
}

variable "snapshot_window" {
  description = "Daily UTC window for snapshots."
  type        = string
  default     = "03:00-04:00"
}

variable "maintenance_window" {
  description = "Weekly UTC maintenance window."
  type        = string
  default     = "sun:05:00-sun:06:00"
}

variable "subnet_group_name" {
  description = "ElastiCache subnet group (created by the network stack)."
  type        = string
}

variable "security_group_ids" {
  description = "Security groups attached to the nodes."
  type        = list(string)
  default     = []
}

variable "log_delivery" {
  description = "Slow log and engine log delivery."
  type = list(object({
    log_type         = string
    destination_type = string
    destination      = string
    log_format       = optional(string, "json")
  }))
  default = []

  validation {
    condition     = alltrue([for l in var.log_delivery : contains(["slow-log", "engine-log"], l.log_type)])
    error_message = "log_type must be slow-log or engine-log."
  }
}

variable "apply_immediately" {
  description = "Apply changes now instead of in the next maintenance window."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the replication group."
  type        = map(string)
  default     = {}
}
