"""dlcourse-instructor: releasing and autograding the course's exercises (for instructors).

This distribution is separate from the learner's package ``dlcourse`` on purpose: what a
student installs holds no reference solution and no hidden test. Here live

    dlcourse_instructor.grading   release (practice/graded), sandboxed autograding, gradebooks
    dlcourse_instructor.cli       the ``dlcourse`` command: ``dlcourse release``, ``dlcourse grade``

See chapter: For instructors (book/instructors.md).
"""

__version__ = "0.1.0"
