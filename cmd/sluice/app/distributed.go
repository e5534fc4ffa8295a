package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sluicehq/sluice/rest"
	"github.com/sluicehq/sluice/runtime"
	"github.com/sluicehq/sluice/runtime/distributed"
)

// runDistributed is `sluice distributed worker.properties`: one worker of a
// cluster whose members share group.id and the three internal topics.
func runDistributed(ctx context.Context, args []string, log *slog.Logger, loggers *rest.Loggers) error {
	if len(args) != 1 {
		return errors.New("usage: sluice distributed worker.properties")
	}
	props, err := runtime.LoadProperties(args[0])
	if err != nil {
		return fmt.Errorf("worker config: %w", err)
	}
	return distributed.Run(ctx, props, distributed.RunOptions{Logger: log, Loggers: loggers, Version: Version, Commit: Commit})
}
