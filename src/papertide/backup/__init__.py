"""Backups of a running installation and restoring one: the archive (archive.py) and the two operations
(operations.py); the database's own snapshot is the store's (store/db/backup.py)."""

from papertide.backup.operations import BackupReport, RestoreReport, create_backup, restore_backup

__all__ = ["BackupReport", "RestoreReport", "create_backup", "restore_backup"]
