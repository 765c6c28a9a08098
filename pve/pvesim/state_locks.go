package pvesim

import "strconv"

// State model of guest locks: the lock a guest's config carries while an
// operation holds it (backup, clone, create, migrate, snapshot, rollback,
// suspending ...), the refusal another operation meets, and the workers
// that hold a lock for their whole run. GET .../config, .../status/current
// and /cluster/resources show the lock (guestConfig, guestSummary).

// checkLock fails as PVE::AbstractConfig::check_lock does ("VM is locked
// (backup)"), unless skiplock. A VM disk move holds the config file's
// flock instead of a config lock (qemu-server's lock enum has no "disk"):
// lock_config then gives up with Proxmox's timeout error, skiplock or not.
func (g *Guest) checkLock(skiplock bool) error {
	if g.fileLocked {
		return fail("can't lock file '/var/lock/qemu-server/lock-%d.conf' - got timeout", g.VMID)
	}
	if g.Lock != "" && !skiplock {
		return fail("%s is locked (%s)", typeWord(g.Type), g.Lock)
	}
	return nil
}

// lockedTask starts a worker that holds lock on g for its whole run, as
// PVE's snapshot, rollback and snapshot-delete do: as it starts, it checks
// the guest's lock (unless skiplock), runs prepare and sets lock; when it
// ends, failed or not, the lock is gone. A refusal ends the task at once.
func (s *Sim) lockedTask(g *Guest, lock, typ, user string, skiplock bool, prepare, work func(*Task) error) string {
	return s.startTaskPrepared(g.Node, typ, strconv.Itoa(g.VMID), user, func(t *Task) error {
		if err := g.checkLock(skiplock); err != nil {
			return err
		}
		if prepare != nil {
			if err := prepare(t); err != nil {
				return err
			}
		}
		g.Lock = lock
		return nil
	}, func(t *Task) error {
		defer func() {
			if g.Lock == lock {
				g.Lock = ""
			}
		}()
		return work(t)
	})
}

// checkedTask starts a worker whose first step is check_lock (unless
// skiplock), as the power actions' workers do: a locked guest makes a task
// that fails at once, not a refused call.
func (s *Sim) checkedTask(g *Guest, typ, user string, skiplock bool, work func(*Task) error) string {
	return s.startTaskPrepared(g.Node, typ, strconv.Itoa(g.VMID), user, func(*Task) error {
		return g.checkLock(skiplock)
	}, work)
}
