"""Indexes the figures need on tables other packages own (declared here so the migration keeps them)."""

from __future__ import annotations

from sqlalchemy import Index

from hotline.escalation.models import Referral

referrals_created_at = Index("ix_referrals_created_at", Referral.created_at)
