import sys

try:  # an interrupt while the libraries load is as quiet as one during a command
    from geo.cli import main
except KeyboardInterrupt:
    print("\ninterrupted before anything was done", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
