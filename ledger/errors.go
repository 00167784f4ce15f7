package ledger

import (
	"errors"
	"fmt"

	"github.com/licensedesk/licensedesk/internal/fault"
	"github.com/redis/go-redis/v9"
)

// ErrContention means a request could not be committed because other
// requests kept changing the same products or users; it is temporary.
var ErrContention = fault.Temporary(errors.New("ledger: too much contention, try again"))

// wrapf is fmt.Errorf for the ledger's faults, marked temporary or not
// (DESIGN "Errors"): a store that is away, loading, failing over or busy
// is temporary; anything else (unreadable data, a script error) is not, so
// that a caller never retries forever what cannot succeed.
func wrapf(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	if storeTransient(err) {
		return fault.Temporary(err)
	}
	return fault.Permanent(err)
}

// storeTransient reports whether a store error may go away by itself.
func storeTransient(err error) bool {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Temporary
	}
	if fault.Transient(err) || errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed) {
		return true
	}
	for _, p := range []string{"LOADING", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY", "BUSY ", "MOVED", "ASK"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}
