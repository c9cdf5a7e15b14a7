// Package sandbox is the VM runtime behind `slicer local`: every VM is one
// long-lived bubblewrap (bwrap) sandbox running an in-VM agent, and every
// in-VM operation (exec, PTY shells, dials into the VM's network) goes
// through that agent, the way the real Slicer daemon reaches its in-guest
// agent.
//
// # Shape
//
// Start prepares the VM root (its own /etc with root and ubuntu, /home/ubuntu,
// /root, /tmp, the mount points) on the host through an os.Root, then runs
//
//	bwrap --bind ROOT / --ro-bind /usr /usr (+ /bin,/lib,... as on the host)
//	      --proc /proc --ro-bind /proc/sys /proc/sys --dev /dev --hostname NAME
//	      --unshare-ipc --unshare-pid --unshare-net --unshare-uts --unshare-cgroup-try
//	      --new-session --die-with-parent
//	      --ro-bind SECRETS /run/slicer/secrets
//	      --ro-bind $(os.Executable) /run/slicer/agent
//	      --cap-drop ALL --cap-add CAP_SETUID,CAP_SETGID,CAP_KILL,CAP_CHOWN,CAP_SETPCAP
//	      /run/slicer/agent
//
// so the VM has its own mount, pid, ipc, uts and network namespace (bwrap
// brings loopback up) and sees only its root, a read-only /usr and the
// secrets. The agent is the calling binary itself: this package's init()
// turns any binary linking it (the slicer binary, or a Go test binary) into
// the agent when SLICER_LOCAL_AGENT is set.
//
// # Reaching the agent
//
// The daemon does not connect to a socket file under the VM root: root inside
// the VM can replace any file there, for example with a symlink to a host
// socket, and connect(2) from the host would follow it. Instead the daemon
// hands the agent one end of a SOCK_SEQPACKET socketpair as an inherited file
// descriptor. For every operation the daemon makes a new socketpair and passes
// one end to the agent over that control socket (SCM_RIGHTS). On the
// operation socket the daemon sends a JSON request and the agent answers with
// JSON messages; the process's stdin/stdout/stderr pipes, the PTY master, or a
// dialed connection come back as file descriptors, so the bytes themselves
// never pass through the agent: streams stream in constant memory, and
// resizing a PTY is an ioctl on the master. The exit status and signal
// requests travel as JSON messages on the operation socket. A connection
// from Dial is a socket created inside the VM's network namespace.
//
// # Privileges
//
// When the daemon runs as root, bwrap runs without a user namespace and drops
// every capability from every set (effective, permitted, inheritable, ambient
// and bounding) except CAP_SETUID, CAP_SETGID, CAP_KILL, CAP_CHOWN and
// CAP_SETPCAP for the agent; bwrap also sets no_new_privs, and the agent is
// an ordinary uid 0 process of the VM's namespaces. The agent keeps those
// capabilities only to switch to the requested uid/gid (setgroups, setgid,
// setuid in the forked child), chown a PTY to that user and signal that
// user's processes. Capabilities are per thread and clone(2) copies the
// calling thread's, so the agent starts every process from one locked OS
// thread that, at startup, drops every capability from its bounding set
// (CAP_SETPCAP allows that), clears its ambient and inheritable sets and
// keeps only SETUID, SETGID, CHOWN and KILL in its effective and permitted
// sets; the agent verifies this in /proc and refuses to run otherwise. A
// process it starts execs with empty inheritable, ambient and bounding sets
// under no_new_privs, so every in-VM process, uid 0 included, runs with
// CapInh, CapPrm, CapEff, CapBnd and CapAmb all zero (a uid 0 exec gains
// only bounding ∩ file caps, and the bounding set is empty; setuid/file-cap
// binaries gain nothing under no_new_privs). Root in a VM can therefore write
// only what uid 0 owns among what it sees (the VM root), cannot mount, cannot
// remount the read-only /usr, cannot change /proc/sys (bwrap mounts it
// read-only), cannot ptrace or read the agent (whose permitted set is not a
// subset of its own), and cannot read a 0600 file of another user (no
// CAP_DAC_OVERRIDE) — unlike root in a real VM. It can kill the agent, which
// ends the VM (Done is closed), like killing a real VM's init.
//
// How this was verified: TestNoPrivileges reads CapInh/CapPrm/CapEff/CapBnd/
// CapAmb (all zero) and NoNewPrivs (1) from /proc/self/status as uid 0 and
// uid 1000 in a VM, and checks that VM root cannot write /usr, mount,
// remount /usr read-write, write /proc/sys, change the hostname, chown a
// /usr file, overwrite the agent binary, or read ubuntu's 0600 file.
//
// When the daemon is not root, bwrap adds --unshare-user with an identity
// map of the daemon's own uid and gid (bwrap's --uid 0 would nest a second
// namespace in which the agent can no longer map ids for its children). The
// agent starts a process for any other uid/gid in a nested user namespace
// that maps the requested ids to the daemon's, so `exec` as root (0) and as
// ubuntu (1000) both work; every file is then owned by the daemon's uid on
// the host. Root in such a VM holds capabilities only inside that nested
// namespace, which owns no mount, network or pid namespace: to the host
// kernel it is the daemon's unprivileged uid. The cgroup freezer is usually
// not writable then, so Pause falls back to SIGSTOP. TestUnprivileged runs
// the tests of this mode as uid 65534.
//
// Paths: the VM's /tmp and /var/tmp are directories in its root (private to
// the VM, not tmpfs) so a file copied in host-side is the file a process in
// the VM reads. /proc and /dev are private (bwrap's --proc and --dev).
//
// # Pause and stats
//
// The sandbox's processes are the process tree under the sandbox's pid 1
// (bwrap's init, whose host pid bwrap reports on --info-fd). Pause puts them
// in a cgroup freezer when one is writable (cgroup v2 cgroup.freeze, or the
// v1 freezer controller), and otherwise stops them with SIGSTOP, repeating
// until every process in the tree is stopped; Resume thaws or SIGCONTs them.
// The agent is frozen too, like a paused VM's guest agent: operations on a
// paused VM block until Resume, so the daemon answers them with 409 itself.
// Stats read the same process tree from the host's /proc.
//
// # Resource limits
//
// Config.MemoryBytes, CPUs and MaxProcs are enforced with cgroups, set up
// when the agent answers and before anything else runs, so every later
// process of the VM inherits them. Each limit goes in the sandbox's cgroup
// v2 freezer cgroup when that hierarchy has the controller (it is enabled in
// the parent's cgroup.subtree_control when the kernel allows: not when the
// daemon's own cgroup holds processes and is not the root); otherwise, as
// on hybrid hosts where memory, pids and cpu are v1 controllers, in a cgroup
// of the same name under the daemon's own cgroup in that v1 hierarchy:
// memory.max (memory.swap.max 0) or memory.limit_in_bytes (and memsw),
// pids.max, cpu.max "<CPUs*100000> 100000" or cpu.cfs_quota_us and
// cpu.cfs_period_us. A limit that cannot be set (no cgroup, read-only
// cgroupfs as usually in the unprivileged mode) is reported in one line of
// the VM log and the VM runs without it. A process beyond MaxProcs fails to
// fork (EAGAIN); a VM over MemoryBytes has its largest process OOM-killed.
package sandbox
