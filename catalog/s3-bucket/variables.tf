# acme/s3-bucket/aws — a private, encrypted S3 bucket with lifecycle rules.

variable "bucket" {
  description = "Globally unique bucket name."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket))
    error_message = "Bucket names are 3 to 63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit."
  }

  validation {
    condition     = !startswith(var.bucket, "xn--") && !endswith(var.bucket, "-s3alias")
    error_message = "Bucket names may not start with xn-- or end with -s3alias."
  }
}

variable "force_destroy" {
  description = "Allow the bucket to be destroyed while it still holds objects. Deleted objects cannot be recovered."
  type        = bool
  default     = false
}

variable "versioning" {
  description = "Object versioning."
  type = object({
    enabled    = optional(bool, true)
    mfa_delete = optional(bool, false)
  })
  default = {}
}

variable "server_side_encryption" {
  description = "Default encryption for new objects."
  type = object({
    sse_algorithm      = optional(string, "aws:kms")
    kms_key_arn        = optional(string)
    bucket_key_enabled = optional(bool, true)
  })
  default = {}

  validation {
    condition     = contains(["AES256", "aws:kms", "aws:kms:dsse"], var.server_side_encryption.sse_algorithm)
    error_message = "sse_algorithm must be AES256, aws:kms or aws:kms:dsse."
  }
}

variable "block_public_access" {
  description = "Turn on all four S3 Block Public Access settings."
  type        = bool
  default     = true
}

variable "object_ownership" {
  description = "Who owns objects uploaded by other accounts."
  type        = string
  default     = "BucketOwnerEnforced"

  validation {
    condition     = contains(["BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter"], var.object_ownership)
    error_message = "object_ownership must be BucketOwnerEnforced, BucketOwnerPreferred or ObjectWriter."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle rules: transitions to cheaper storage classes and expiry."
  type = list(object({
    id                                 = string
    enabled                            = optional(bool, true)
    prefix                             = optional(string, "")
    expiration_days                    = optional(number)
    noncurrent_version_expiration_days = optional(number, 90)
    transitions = optional(list(object({
      days          = number
      storage_class = string
    })), [])
  }))
  default = []

  validation {
    condition     = length(var.lifecycle_rules) <= 50
    error_message = "At most 50 lifecycle rules."
  }

  validation {
    condition     = alltrue([for r in var.lifecycle_rules : can(regex("^[A-Za-z0-9._-]{1,255}$", r.id))])
    error_message = "Rule ids are 1 to 255 letters, digits, dots, underscores and hyphens."
  }
}

variable "cors_rules" {
  description = "CORS rules for browser access."
  type = list(object({
    allowed_methods = list(string)
    allowed_origins = list(string)
    allowed_headers = optional(list(string), [])
    expose_headers  = optional(list(string), [])
    max_age_seconds = optional(number, 3000)
  }))
  default = []
}

variable "object_lock" {
  description = "Object Lock default retention (write once, read many). Can only be set when the bucket is created."
  type = object({
    mode = string
    days = number
  })
  default = null

  validation {
    condition     = var.object_lock == null || contains(["GOVERNANCE", "COMPLIANCE"], try(var.object_lock.mode, ""))
    error_message = "Object Lock mode must be GOVERNANCE or COMPLIANCE."
  }
}

variable "access_logging" {
  description = "Server access logging into another bucket."
  type = object({
    target_bucket = string
    target_prefix = optional(string, "s3-access/")
  })
  default = null
}

variable "intelligent_tiering_days" {
  description = "Move objects not accessed for this many days to the archive tiers; null disables it."
  type        = number
  default     = null

  validation {
    condition     = var.intelligent_tiering_days == null || (var.intelligent_tiering_days >= 90 && var.intelligent_tiering_days <= 730)
    error_message = "Archive access needs between 90 and 730 days."
  }
}

variable "tags" {
  description = "Tags for the bucket."
  type        = map(string)
  default     = {}
}
