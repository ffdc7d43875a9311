package oci

import (
	"fmt"

	"github.com/skiffrt/skiff/internal/errdefs"
)

// The configs an error can be about, the first words of its message.
const (
	containerScope = "container config"
	sandboxScope   = "pod sandbox config"
	execScope      = "exec request"
)

// invalid returns an errdefs.ErrInvalidArgument error naming the config
// and the CRI field (in proto spelling) that is wrong.
func invalid(scope, field, format string, args ...any) error {
	return classed(errdefs.ErrInvalidArgument, scope, field, format, args...)
}

// classed is invalid with another error class.
func classed(class error, scope, field, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s: %w", scope, field, fmt.Sprintf(format, args...), class)
}
