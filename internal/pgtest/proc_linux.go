package pgtest

import (
	"os/exec"
	"syscall"
)

// setProcAttr runs cmd as cred (when the tests run as root) in its own
// process group, and has the kernel kill it if the test binary dies first,
// so that an interrupted run leaves no server behind.
func setProcAttr(cmd *exec.Cmd, cred *credential) {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if cred != nil {
		attr.Credential = &syscall.Credential{Uid: cred.uid, Gid: cred.gid, Groups: []uint32{}}
	}
	cmd.SysProcAttr = attr
}

// quit asks postgres for an immediate shutdown (what pg_ctl stop -m
// immediate sends).
func quit(cmd *exec.Cmd) { _ = cmd.Process.Signal(syscall.SIGQUIT) }

// kill ends the server's whole process group (postmaster and backends).
func kill(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
