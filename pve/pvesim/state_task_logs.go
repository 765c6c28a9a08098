package pvesim

import (
	"fmt"
	"math"
	"strconv"
)

// The progress lines Proxmox workers log while they copy data: qemu-img
// convert's and drive-mirror's transfers (clone, move disk), vzdump's
// percentage and a live migration's RAM transfer. Their numbers rise over
// the run; the simulator writes them spread over the task (Task.script in state_tasks.go), so
// a client following the log sees the work advance, as on a real cluster.

const (
	progressSteps = 10        // progress lines a simulated transfer logs
	copyRate      = 400 << 20 // bytes/s a simulated transfer moves, for its durations and rates
)

// renderBytes is PVE::Format::render_bytes: the value in the largest
// binary unit that keeps it at least 1, with precision decimals.
func renderBytes(v int64, precision int) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	f, u := float64(v), 0
	if v > 1023 {
		u = min(int(math.Log(f)/math.Log(1024)), len(units)-1)
		f /= math.Pow(1024, float64(u))
	}
	return strconv.FormatFloat(f, 'f', precision, 64) + " " + units[u]
}

// renderDuration is PVE::Format::render_duration: "0s", "42s", "1m 5s".
func renderDuration(secs int64) string {
	if secs <= 0 {
		return "0s"
	}
	out := ""
	for _, u := range []struct {
		unit string
		len  int64
	}{{"w", 7 * 86400}, {"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}} {
		if n := secs / u.len; n > 0 {
			if out != "" {
				out += " "
			}
			out += strconv.FormatInt(n, 10) + u.unit
			secs -= n * u.len
		}
	}
	return out
}

// hms is a duration as vzdump and QemuMigrate write it: 00:05:07.
func hms(secs int64) string {
	return fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
}

// rate is a transfer speed as vzdump and QemuMigrate print it.
func rate(bytes, secs int64) string {
	if bytes <= 0 {
		return "0 B/s"
	}
	return renderBytes(bytes/max(secs, 1), 1) + "/s"
}

// transferSecs is how long a simulated transfer of n bytes takes.
func transferSecs(n int64) int64 { return n / copyRate }

// imgConvertLog is what PVE::QemuServer::QemuImage::convert prints while
// qemu-img copies a volume of size bytes (a stopped guest's clone or disk move).
func imgConvertLog(size int64) []string {
	var out []string
	for i := 0; i <= progressSteps; i++ {
		pct := float64(i) * 100 / progressSteps
		out = append(out, fmt.Sprintf("transferred %s of %s (%.2f%%)", renderBytes(int64(float64(size)*pct/100), 1), renderBytes(size, 1), pct))
	}
	return out
}

// mirrorLog is what PVE::QemuServer::BlockJob logs while drive-mirror copies
// a running VM's drive (drive-scsi0) of size bytes, up to the job being ready.
func mirrorLog(device string, size int64) []string {
	out := []string{"drive mirror is starting for " + device}
	for i := 0; i <= progressSteps; i++ {
		done := size * int64(i) / progressSteps
		line := fmt.Sprintf("%s: transferred %s of %s (%.2f%%) in %s", device, renderBytes(done, 1), renderBytes(size, 1),
			float64(done)*100/float64(max(size, 1)), renderDuration(transferSecs(done)))
		if i == progressSteps {
			line += ", ready"
		}
		out = append(out, line)
	}
	return append(out, "all 'mirror' jobs are ready")
}

// driveCopyLog is a qemu-server drive copy (clone_disk) of the volume vol
// behind drive (scsi0): mirrored when the VM runs, else qemu-img convert.
// done is what follows a ready mirror: a clone cancels the job, a disk
// move completes it.
func driveCopyLog(drive, vol string, size int64, running, clone bool) []string {
	out := []string{fmt.Sprintf("create full clone of drive %s (%s)", drive, vol)}
	if !running {
		return append(out, imgConvertLog(size)...)
	}
	device := "drive-" + drive
	out = append(out, mirrorLog(device, size)...)
	if clone {
		return append(out, "suspend vm", device+": Cancelling block job", device+": Done.", "resume vm")
	}
	return append(out, device+": Completing block job...", device+": Completed successfully.", device+": mirror-job finished")
}

// vzdumpLog is what PVE::VZDump::QemuServer logs while it backs up disks
// of size bytes in all: a line per percentage step, then the total.
func vzdumpLog(size int64) []string {
	var out []string
	var last, lastSecs int64
	for i := int64(0); i <= progressSteps; i++ {
		done := size * i / progressSteps
		secs := transferSecs(done)
		read := done - last
		out = append(out, fmt.Sprintf("INFO: %3d%% (%s of %s) in %s, read: %s, write: %s", i*100/progressSteps,
			renderBytes(done, 1), renderBytes(size, 1), renderDuration(secs), rate(read, secs-lastSecs), rate(read*3/4, secs-lastSecs)))
		last, lastSecs = done, secs
	}
	secs := transferSecs(size)
	return append(out, fmt.Sprintf("INFO: transferred %s in %d seconds (%s)", renderBytes(size, 2), secs, rate(size, secs)))
}

// liveMigrateStart is what PVE::QemuMigrate logs as a live migration
// sets up, in its first second.
func liveMigrateStart(vmid int, target string) []string {
	sock := fmt.Sprintf("unix:/run/qemu-server/%d.migrate", vmid)
	return []string{fmt.Sprintf("starting VM %d on remote node '%s'", vmid, target), "start remote tunnel",
		"starting online/live migration on " + sock, "set migration capabilities", "migration downtime limit: 100 ms",
		"start migrate command to " + sock}
}

// liveMigrateLog is what PVE::QemuMigrate logs while it moves a running VM
// with mem bytes of RAM: the RAM transferred so far (it never logs a
// percentage), then the final figures.
func liveMigrateLog(vmid int, mem int64) []string {
	var out []string
	for i := int64(1); i < progressSteps; i++ {
		done := mem * i / progressSteps
		out = append(out, fmt.Sprintf("migration active, transferred %s of %s VM-state, %s", renderBytes(done, 1), renderBytes(mem, 1), rate(copyRate, 1)))
	}
	return append(out, fmt.Sprintf("average migration speed: %s - downtime %d ms", rate(mem, transferSecs(mem)), 40+vmid%60), "migration status: completed")
}
