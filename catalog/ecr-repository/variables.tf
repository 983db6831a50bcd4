# acme/ecr-repository/aws — a container image repository with scanning and cleanup.

variable "name" {
  description = "Repository name, e.g. payments/api."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$", var.name))
    error_message = "Repository names are lowercase path segments of letters and digits separated by . _ - or /."
  }

  validation {
    condition     = length(var.name) >= 2 && length(var.name) <= 256
    error_message = "Repository names are 2 to 256 characters long."
  }
}

variable "image_tag_mutability" {
  description = "Whether an existing tag can be pushed again."
  type        = string
  default     = "IMMUTABLE"

  validation {
    condition     = contains(["MUTABLE", "IMMUTABLE"], var.image_tag_mutability)
    error_message = "image_tag_mutability must be MUTABLE or IMMUTABLE."
  }
}

variable "scan_on_push" {
  description = "Scan every pushed image for vulnerabilities."
  type        = bool
  default     = true
}

variable "encryption" {
  description = "Encryption at rest: AES256 or a KMS key."
  type = object({
    type        = optional(string, "AES256")
    kms_key_arn = optional(string)
  })
  default = {}

  validation {
    condition     = contains(["AES256", "KMS"], var.encryption.type)
    error_message = "encryption.type must be AES256 or KMS."
  }
}

variable "lifecycle_policy" {
  description = "Image cleanup: how many tagged images to keep and when untagged images expire."
  type = object({
    keep_tagged                = optional(number, 30)
    tag_prefixes               = optional(list(string), ["v", "release-"])
    expire_untagged_after_days = optional(number, 14)
  })
  default = {}

  validation {
    condition     = var.lifecycle_policy.keep_tagged >= 1 && var.lifecycle_policy.keep_tagged <= 1000
    error_message = "keep_tagged must be between 1 and 1000."
  }
}

variable "pull_principal_arns" {
  description = "IAM principals (roles or accounts) allowed to pull images."
  type        = list(string)
  default     = []
}

variable "push_principal_arns" {
  description = "IAM principals allowed to push images, typically the CI role."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.push_principal_arns) <= 5
    error_message = "At most 5 principals may push."
  }
}

variable "replication_regions" {
  description = "Other regions to replicate images to."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for r in var.replication_regions : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r))])
    error_message = "Regions look like eu-central-1."
  }
}

variable "force_delete" {
  description = "Delete the repository even if it still contains images."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for the repository."
  type        = map(string)
  default     = {}
}
