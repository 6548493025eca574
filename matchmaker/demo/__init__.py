"""The built-in demo data set (Chinese): content modules, seeding and simulated activity."""
