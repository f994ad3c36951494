//go:build tools

// Package tools pins the Pulumi Python language host (pulumi-language-python).
//
// It is a module of its own, apart from the CLI's, because the host has no
// semver tags and the Go module proxy this project builds from serves it only
// at a few pseudo-versions; the newest served one predates the CLI we pin by
// more than a year and does not compile against the CLI's sdk/v3. Kept apart,
// each tool builds against the sdk/v3 it was written for, and they talk over
// the engine's versioned gRPC protocol. See "The Pulumi CLI, built from Go
// modules" in the README.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3"
)
