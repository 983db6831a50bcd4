# acme/sns-topic/aws — an SNS topic with subscriptions.

variable "name" {
  description = "Topic name; \".fifo\" is appended for FIFO topics."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,251}$", var.name))
    error_message = "Topic names are 1 to 251 letters, digits, hyphens and underscores."
  }
}

variable "display_name" {
  description = "Sender name used for SMS and email subscriptions."
  type        = string
  default     = null

  validation {
    condition     = var.display_name == null || length(coalesce(var.display_name, "")) <= 100
    error_message = "The display name can be at most 100 characters."
  }
}

variable "fifo_topic" {
  description = "Strict ordering and deduplication (FIFO); only SQS FIFO queues can subscribe."
  type        = bool
  default     = false
}

variable "content_based_deduplication" {
  description = "FIFO only: deduplicate by a hash of the message body."
  type        = bool
  default     = false
}

variable "kms_master_key_id" {
  description = "KMS key for encryption at rest."
  type        = string
  default     = "alias/aws/sns"
}

variable "subscriptions" {
  description = "Subscriptions created with the topic."
  type = list(object({
    protocol             = string
    endpoint             = string
    raw_message_delivery = optional(bool, false)
    filter_policy        = optional(string)
    filter_policy_scope  = optional(string, "MessageAttributes")
  }))
  default = []

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["sqs", "lambda", "https", "email", "firehose"], s.protocol)])
    error_message = "Supported protocols are sqs, lambda, https, email and firehose."
  }

  validation {
    condition     = alltrue([for s in var.subscriptions : contains(["MessageAttributes", "MessageBody"], s.filter_policy_scope)])
    error_message = "filter_policy_scope must be MessageAttributes or MessageBody."
  }
}

variable "https_delivery_credentials" {
  description = "user:password for HTTPS subscription endpoints that need basic authentication."
  type        = string
  default     = null
  sensitive   = true
}

variable "allowed_publisher_arns" {
  description = "Principals (roles, accounts) allowed to publish."
  type        = list(string)
  default     = []
}

variable "allowed_publisher_services" {
  description = "AWS services allowed to publish, e.g. events.amazonaws.com."
  type        = set(string)
  default     = []
}

variable "archive_retention_days" {
  description = "FIFO only: keep published messages for replay this many days; null disables the archive."
  type        = number
  default     = null

  validation {
    condition     = var.archive_retention_days == null || (var.archive_retention_days >= 1 && var.archive_retention_days <= 365)
    error_message = "Archive retention must be between 1 and 365 days."
  }
}

variable "tags" {
  description = "Tags for the topic."
  type        = map(string)
  default     = {}
}
