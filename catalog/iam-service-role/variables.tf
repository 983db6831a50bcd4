# acme/iam-service-role/aws — an IAM role that a service (ECS task, Lambda, CI job) assumes.

variable "name" {
  description = "Role name."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.name))
    error_message = "Role names are 1 to 64 characters: letters, digits and +=,.@_-."
  }
}

variable "description" {
  description = "What the role is for; shown in the IAM console."
  type        = string
  default     = "Managed by Infradesk"

  validation {
    condition     = length(var.description) <= 1000
    error_message = "The description can be at most 1000 characters."
  }
}

variable "path" {
  description = "IAM path of the role."
  type        = string
  default     = "/services/"

  validation {
    condition     = startswith(var.path, "/") && endswith(var.path, "/")
    error_message = "The path must start and end with a slash."
  }
}

variable "trusted_services" {
  description = "AWS services that may assume the role, e.g. ecs-tasks.amazonaws.com."
  type        = set(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.trusted_services : endswith(s, ".amazonaws.com")])
    error_message = "Trusted services are service principals ending in .amazonaws.com."
  }
}

variable "trusted_role_arns" {
  description = "Other roles that may assume this one (cross-account access)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.trusted_role_arns : can(regex("^arn:aws:iam::[0-9]{12}:role/.+$", arn))])
    error_message = "Trusted roles must be IAM role ARNs."
  }
}

variable "external_id" {
  description = "External id the trusted roles must present (confused-deputy protection)."
  type        = string
  default     = null
  sensitive   = true
}

variable "github_oidc" {
  description = "Let GitHub Actions workflows of a repository assume the role through OIDC."
  type = object({
    repository = string
    branches   = optional(list(string), ["main"])
    environments = optional(list(string), [])
  })
  default = null

  validation {
    condition     = var.github_oidc == null || can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", try(var.github_oidc.repository, "")))
    error_message = "github_oidc.repository must be owner/name."
  }
}

variable "managed_policy_arns" {
  description = "Managed policies attached to the role."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.managed_policy_arns) <= 10
    error_message = "At most 10 managed policies can be attached to a role."
  }

  validation {
    condition     = alltrue([for arn in var.managed_policy_arns : startswith(arn, "arn:aws:iam::")])
    error_message = "Managed policies are IAM policy ARNs."
  }
}

variable "inline_policies" {
  description = "Inline policies by name; each value is a JSON policy document."
  type        = map(string)
  default     = {}
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary limiting what the role can ever do."
  type        = string
  default     = null
}

variable "max_session_duration" {
  description = "Longest session, in seconds."
  type        = number
  default     = 3600

  validation {
    condition     = var.max_session_duration >= 3600 && var.max_session_duration <= 43200
    error_message = "The maximum session duration must be between 3600 and 43200 seconds."
  }
}

variable "tags" {
  description = "Tags for the role."
  type        = map(string)
  default     = {}
}
