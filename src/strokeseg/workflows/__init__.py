"""End-to-end workflows that chain the stages (above every stage, below the CLI)."""
