# acme/sqs-queue/aws — an SQS queue with an optional dead-letter queue.

variable "name" {
  description = "Queue name; \".fifo\" is appended for FIFO queues."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,75}$", var.name))
    error_message = "Queue names are 1 to 75 letters, digits, hyphens and underscores."
  }
}

variable "fifo_queue" {
  description = "First-in-first-out delivery with exactly-once processing."
  type        = bool
  default     = false
}

variable "content_based_deduplication" {
  description = "FIFO only: deduplicate by a hash of the message body."
  type        = bool
  default     = false
}

variable "visibility_timeout_seconds" {
  description = "How long a received message stays hidden from other consumers."
  type        = number
  default     = 30

  validation {
    condition     = var.visibility_timeout_seconds >= 0 && var.visibility_timeout_seconds <= 43200
    error_message = "The visibility timeout must be between 0 and 43200 seconds (12 hours)."
  }
}

variable "message_retention_seconds" {
  description = "How long SQS keeps a message that nobody deletes."
  type        = number
  default     = 345600

  validation {
    condition     = var.message_retention_seconds >= 60 && var.message_retention_seconds <= 1209600
    error_message = "Retention must be between 60 seconds and 14 days (1209600 seconds)."
  }
}

variable "max_message_size" {
  description = "Largest message accepted, in bytes."
  type        = number
  default     = 262144

  validation {
    condition     = var.max_message_size >= 1024 && var.max_message_size <= 262144
    error_message = "The maximum message size must be between 1024 and 262144 bytes."
  }
}

variable "delay_seconds" {
  description = "Delay before a new message becomes visible."
  type        = number
  default     = 0

  validation {
    condition     = var.delay_seconds >= 0 && var.delay_seconds <= 900
    error_message = "The delay must be between 0 and 900 seconds."
  }
}

variable "receive_wait_time_seconds" {
  description = "Long polling: how long a receive call waits for messages."
  type        = number
  default     = 20

  validation {
    condition     = var.receive_wait_time_seconds >= 0 && var.receive_wait_time_seconds <= 20
    error_message = "The receive wait time must be between 0 and 20 seconds."
  }
}

variable "dead_letter_queue" {
  description = "A dead-letter queue for messages that fail processing repeatedly."
  type = object({
    enabled                   = optional(bool, true)
    max_receive_count         = optional(number, 5)
    message_retention_seconds = optional(number, 1209600)
  })
  default = {}

  validation {
    condition     = var.dead_letter_queue.max_receive_count >= 1 && var.dead_letter_queue.max_receive_count <= 1000
    error_message = "max_receive_count must be between 1 and 1000."
  }
}

variable "sqs_managed_sse_enabled" {
  description = "Encrypt with SQS-owned keys (ignored when kms_master_key_id is set)."
  type        = bool
  default     = true
}

variable "kms_master_key_id" {
  description = "KMS key (id, ARN or alias) for server-side encryption."
  type        = string
  default     = null
}

variable "allowed_sender_arns" {
  description = "IAM roles, SNS topics or EventBridge rules allowed to send messages."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.allowed_sender_arns : startswith(arn, "arn:aws:")])
    error_message = "Every sender must be an ARN (arn:aws:...)."
  }
}

variable "allowed_consumer_arns" {
  description = "IAM roles allowed to receive and delete messages."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.allowed_consumer_arns : can(regex("^arn:aws:iam::[0-9]{12}:role/", arn))])
    error_message = "Consumers must be IAM role ARNs."
  }
}

variable "tags" {
  description = "Tags for the queue and its dead-letter queue."
  type        = map(string)
  default     = {}
}
