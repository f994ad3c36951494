//go:build tools

// Package tools pins the Pulumi Node.js language host (pulumi-language-nodejs), which
// `pulumi package gen-sdk --language nodejs` and a TypeScript program need.
//
// Like python-host, a module of its own: the host has no semver tags, and the Go module
// proxy serves it only at a few pseudo-versions (this one is the commit of the Python host
// we pin). Its own go.mod replace lines are not honoured for a dependency, so pkg/v3 and
// sdk/v3 are pinned here to the release it was written against.
package tools

import (
	_ "github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3"
)
