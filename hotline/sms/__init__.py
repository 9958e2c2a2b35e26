"""Template SMS to mainland numbers: Alibaba Cloud and Tencent Cloud providers, templates, callbacks, callers' SMS."""
