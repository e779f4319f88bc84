"""Qualibot core: channel-neutral, storage-neutral conversation engine and service."""
