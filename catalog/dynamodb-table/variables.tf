# acme/dynamodb-table/aws — a DynamoDB table with indexes, TTL and backups.

variable "name" {
  description = "Table name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.name))
    error_message = "Table names are 3 to 255 letters, digits, underscores, hyphens and dots."
  }
}

variable "hash_key" {
  description = "Partition key attribute; must be listed in attributes."
  type        = string
}

variable "range_key" {
  description = "Sort key attribute, if any; must be listed in attributes."
  type        = string
  default     = null
}

variable "attributes" {
  description = "Key attributes of the table and its indexes (only keys are declared in DynamoDB)."
  type = list(object({
    name = string
    type = string
  }))

  validation {
    condition     = length(var.attributes) >= 1
    error_message = "Declare at least the partition key attribute."
  }

  validation {
    condition     = alltrue([for a in var.attributes : contains(["S", "N", "B"], a.type)])
    error_message = "Attribute types are S (string), N (number) or B (binary)."
  }
}

variable "billing_mode" {
  description = "On-demand (PAY_PER_REQUEST) or provisioned capacity."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Provisioned read capacity units (PROVISIONED only)."
  type        = number
  default     = null
}

variable "write_capacity" {
  description = "Provisioned write capacity units (PROVISIONED only)."
  type        = number
  default     = null
}

variable "global_secondary_indexes" {
  description = "Global secondary indexes."
  type = list(object({
    name               = string
    hash_key           = string
    range_key          = optional(string)
    projection_type    = optional(string, "ALL")
    non_key_attributes = optional(list(string), [])
    read_capacity      = optional(number)
    write_capacity     = optional(number)
  }))
  default = []

  validation {
    condition     = length(var.global_secondary_indexes) <= 20
    error_message = "A table can have at most 20 global secondary indexes."
  }

  validation {
    condition     = alltrue([for i in var.global_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], i.projection_type)])
    error_message = "projection_type must be ALL, KEYS_ONLY or INCLUDE."
  }
}

variable "ttl" {
  description = "Expire items automatically by a timestamp attribute (epoch seconds)."
  type = object({
    enabled        = optional(bool, false)
    attribute_name = optional(string, "expires_at")
  })
  default = {}
}

variable "point_in_time_recovery" {
  description = "Continuous backups with restore to any second in the last 35 days."
  type        = bool
  default     = true
}

variable "deletion_protection_enabled" {
  description = "Refuse to delete the table until this is turned off."
  type        = bool
  default     = false
}

variable "stream_view_type" {
  description = "Enable DynamoDB Streams with this view type; null disables streams."
  type        = string
  default     = null

  validation {
    condition     = var.stream_view_type == null || contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], var.stream_view_type)
    error_message = "stream_view_type must be KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}

variable "server_side_encryption" {
  description = "Encryption with a customer managed KMS key (AWS owned key otherwise)."
  type = object({
    enabled     = optional(bool, false)
    kms_key_arn = optional(string)
  })
  default = {}
}

variable "table_class" {
  description = "Storage class of the table."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "STANDARD_INFREQUENT_ACCESS"], var.table_class)
    error_message = "table_class must be STANDARD or STANDARD_INFREQUENT_ACCESS."
  }
}

variable "tags" {
  description = "Tags for the table."
  type        = map(string)
  default     = {}
}
