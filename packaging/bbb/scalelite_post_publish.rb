#!/usr/bin/ruby
# frozen_string_literal: true

# BigBlueButton runs every post_publish/*.rb with `ruby <script> -m <record_id>` (nothing but
# Ruby files): this hands the call, with its arguments, to the bash sender. Standard library only.
sender = ENV.fetch('SCALELITE_POST_PUBLISH', '/usr/local/bin/scalelite-post-publish')
exec(sender, *ARGV)
