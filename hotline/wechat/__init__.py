"""The WeChat official account (公众号): its message push, answered like an SMS for now."""
