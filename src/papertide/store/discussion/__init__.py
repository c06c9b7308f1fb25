"""The discussion's tables: comments, their votes, reports, suspensions and the moderation log."""
