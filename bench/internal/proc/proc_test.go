package proc

import (
	"os"
	"runtime"
	"testing"
)

// TestSelf reads this test process: it has used some CPU and has a peak RSS.
func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	t.Parallel()
	ticks, err := CPUTicks(os.Getpid())
	if err != nil || ticks < 0 {
		t.Fatalf("CPUTicks = %d, %v", ticks, err)
	}
	st, err := Status(os.Getpid())
	if err != nil || st["VmHWM"] <= 0 || st["VmRSS"] <= 0 {
		t.Fatalf("Status = %v, %v; want VmHWM and VmRSS", st, err)
	}
	if _, err := CPUTicks(-1); err == nil {
		t.Error("CPUTicks of no process: no error")
	}
}
