"""The planner's tabs, one module each: compose, handlers, widget ids and refresh."""
