"""The deal pipeline: kanban board, table view and the POST forms that move pairs."""
