package pve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
)

// DefaultMaxConcurrency is how many Proxmox requests one Client has in
// flight at most (PVE_MAX_CONCURRENCY). pveproxy answers with a few worker
// processes; more parallel requests only queue there, or fail.
const DefaultMaxConcurrency = 8

// smallAnswer is the size up to which an answer is read without drawing on
// the memory budget: almost every answer is far below it.
const smallAnswer = 1 << 20

// limits bound what one Client may make Proxmox and the process carry at
// once, whatever the number of requests, batches or fan-outs above it.
type limits struct {
	max   int
	slots chan struct{} // one per request in flight
	// budget is shared by the answers larger than smallAnswer while they
	// are read and decoded; a large answer waits for its share.
	budget     *semaphore.Weighted
	budgetSize int64
}

func newLimits(maxConcurrency int, budget int64) *limits {
	if maxConcurrency <= 0 {
		maxConcurrency = DefaultMaxConcurrency
	}
	return &limits{
		max:        maxConcurrency,
		slots:      make(chan struct{}, maxConcurrency),
		budget:     semaphore.NewWeighted(budget),
		budgetSize: budget,
	}
}

// ErrBusy is returned when a request waited for a free slot until its
// deadline: the instance is saturated, not Proxmox broken.
var ErrBusy = errors.New("too many Proxmox requests in flight")

// acquire takes a slot, waiting within ctx's deadline; release gives it back.
func (l *limits) acquire(ctx context.Context) (release func(), err error) {
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	default:
	}
	start := time.Now()
	select {
	case l.slots <- struct{}{}:
		return func() { <-l.slots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: all %d slots (PVE_MAX_CONCURRENCY) stayed busy for %s, until this call's deadline; retry later, ask for less at once, or raise PVE_MAX_CONCURRENCY",
			ErrBusy, l.max, time.Since(start).Round(time.Millisecond))
	}
}

// InFlight is the number of Proxmox requests being made now (tests, benches).
func (c *Client) InFlight() int { return len(c.limits.slots) }

// readAnswer reads a response body of at most max bytes (one byte more
// tells it was larger). An answer beyond smallAnswer first reserves its size
// in the shared budget; release gives it back once the caller has decoded it.
func (l *limits) readAnswer(ctx context.Context, resp *http.Response, max int64) (raw []byte, release func(), err error) {
	release = func() {}
	reserve := func(n int64) error {
		n = min(n, l.budgetSize)
		le, _ := ctx.Value(leaseKey{}).(*lease)
		if le != nil {
			le.mu.Lock()
			defer le.mu.Unlock()
			if le.held > 0 {
				return nil // the call already holds a share: one per call
			}
		}
		if err := l.budget.Acquire(ctx, n); err != nil {
			return fmt.Errorf("%w: waited for memory to read a %d-byte answer until this call's deadline; ask for less (filters, limit)", ErrBusy, n)
		}
		if le != nil {
			le.l, le.held = l, n // given back when the call ends
			return nil
		}
		release = func() { l.budget.Release(n) }
		return nil
	}
	if resp.ContentLength > max {
		return nil, release, nil // reported as too large by the caller, unread
	}
	if resp.ContentLength > smallAnswer {
		if err := reserve(resp.ContentLength); err != nil {
			return nil, release, err
		}
		raw, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
		return raw, release, err
	}
	raw, err = io.ReadAll(io.LimitReader(resp.Body, min(max, smallAnswer)+1))
	if err != nil || int64(len(raw)) <= smallAnswer || max <= smallAnswer {
		return raw, release, err
	}
	// Unknown length and more than smallAnswer: reserve the most it can be.
	if err := reserve(max); err != nil {
		return nil, release, err
	}
	rest, err := io.ReadAll(io.LimitReader(resp.Body, max+1-int64(len(raw))))
	return append(raw, rest...), release, err
}

// lease makes a large answer's share of the budget last until the end of the
// tool call that decodes it, not only until Do returns: decoding and
// shaping a 16 MiB answer takes several times its size.
type lease struct {
	mu   sync.Mutex
	l    *limits
	held int64
}

type leaseKey struct{}

// WithAnswerLease returns a context under which answers above 1 MiB keep
// their share of the memory budget until release is called (the end of the
// tool call). A call holds at most one share, however many large answers it
// reads, so it never waits for memory while holding some.
func WithAnswerLease(ctx context.Context) (context.Context, func()) {
	le := &lease{}
	return context.WithValue(ctx, leaseKey{}, le), func() {
		le.mu.Lock()
		defer le.mu.Unlock()
		if le.held > 0 {
			le.l.budget.Release(le.held)
			le.held = 0
		}
	}
}
