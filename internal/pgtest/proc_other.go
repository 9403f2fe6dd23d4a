//go:build !linux

package pgtest

import "os/exec"

// setProcAttr: running the server as another user is only implemented on
// Linux; elsewhere run the tests as an ordinary user.
func setProcAttr(cmd *exec.Cmd, cred *credential) {}

func quit(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func kill(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
