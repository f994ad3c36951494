//go:build tools

// Package tools pins the Pulumi CLI that scripts/install-pulumi.sh builds. It is
// a build tool, not part of eci-provider: it is required here so that
// `go install` can build it from a module whose go.mod this repository controls
// (the upstream module carries `replace` lines, which `go install module@version`
// refuses). The Python language host is pinned in ./python-host.
package tools

import (
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
